import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What start-up built (settings, the app registry, URL patterns, templates' loaders) lives as
# long as the process: move it out of the collector's reach. Without it every full collection
# walks those objects again, and one request in ten or twenty paid about 130 ms for it
# (measured at 1,000,000 households, docs/PERFORMANCE.md).
gc.freeze()
