from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import tokens
from accounts.models import Area


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent_id", allow_null=True, read_only=True)

    class Meta:
        model = Area
        fields = ["code", "name", "level", "parent"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """The area tree the user can see: their own area and everything under it."""

    queryset = Area.objects.none()  # for the schema; get_queryset() scopes the real one
    serializer_class = AreaSerializer
    pagination_class = None
    filterset_fields = ["level", "parent"]

    def get_queryset(self):
        return Area.objects.visible_to(self.request.user).order_by("code")


class TokenSerializer(serializers.Serializer):
    """A token as listed: its first characters name it; the token itself is never shown again."""

    token_key = serializers.CharField(read_only=True, help_text="令牌的前几位，用于辨认")
    created = serializers.DateTimeField(read_only=True)
    expiry = serializers.DateTimeField(read_only=True, allow_null=True)
    current = serializers.SerializerMethodField(help_text="是否为本次请求所用的令牌")

    def get_current(self, obj) -> bool:
        used = getattr(self.context.get("request"), "auth", None)
        return getattr(used, "digest", None) == obj.digest


class IssuedTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="令牌本身：只在此时显示一次，请妥善保存")
    token_key = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True)


class ObtainTokenView(APIView):
    """Sign in with user name and password; answers a new expiring token.

    The same lockout as the sign-in page applies (django-axes). Each call gives a new token;
    the old ones stay valid until they expire or are revoked (`/api/auth/tokens/`).
    """

    authentication_classes = []
    permission_classes = [AllowAny]
    issues_tokens = True  # core.schema: documents the lockout's 429
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer, responses={200: IssuedTokenSerializer})
    def post(self, request):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        instance, token = tokens.issue(serializer.validated_data["user"])
        body = {"token": token, "token_key": instance.token_key, "expiry": instance.expiry}
        return Response(IssuedTokenSerializer(body).data)


class TokenViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """The signed-in user's own live tokens; DELETE revokes one (another user's is a 404)."""

    serializer_class = TokenSerializer
    permission_classes = [IsAuthenticated]
    pagination_class = None
    lookup_field = "token_key"
    lookup_value_regex = "[0-9a-f]{1,25}"
    filter_backends = []

    def get_queryset(self):
        return tokens.live(self.request.user).order_by("-created")

    def get_object(self):
        return get_object_or_404(self.get_queryset(), token_key=self.kwargs["token_key"])

    def perform_destroy(self, instance):
        tokens.revoke(self.request.user, instance.token_key)


class LogoutView(APIView):
    """Revoke the token this request is signed in with (`all=true`: every token of the user)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        if request.query_params.get("all") == "true":
            tokens.revoke_all(request.user, reason="signed out of the API (all tokens)")
        elif getattr(request.auth, "token_key", None):
            tokens.revoke(request.user, request.auth.token_key)
        return Response(status=status.HTTP_204_NO_CONTENT)
