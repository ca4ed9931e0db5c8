"""The demo county's rectification ledger: one campaign, its items at every status."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from accounts.models import Area, User
from demo.workflow.common import act, pdf
from rectification import services
from rectification.models import DeadlineKind, ProblemType, RectificationItem, Source

LINQUAN, BAIWEN, CHENGZHUANG = "141124100000", "141124101000", "141124102000"


def seed_rectification(
    *, county: Area, reviewer: User, staff: dict[str, User], today: dt.date
) -> Counter:
    """Feedback of the provincial post-assessment, assigned to the townships; returns the
    items' statuses. One item is closed with evidence, one submitted for verification, one
    in progress, the others open (one of them past its deadline)."""
    days = dt.timedelta
    townships = Area.objects.in_bulk([LINQUAN, BAIWEN, CHENGZHUANG])
    campaign = act(
        services.campaign_create,
        by=reviewer,
        name=f"{today.year}年省级后评估反馈问题整改",
        source=Source.PROVINCIAL,
        plan_and_ledger_due=today - days(45),
        report_due=today + days(30),
        note="省住建厅后评估反馈问题，逐项建立台账，整改一项、销号一项。",
    )

    def item(**fields) -> RectificationItem:
        return act(
            services.item_create,
            by=reviewer,
            campaign=campaign,
            source=Source.PROVINCIAL,
            **fields,
        )

    closed = item(
        problem_type=ProblemType.WORK,
        title="个别改造户拆旧建新及安全责任承诺书未填写签订时间",
        findings="抽查发现临泉镇部分改造户承诺书无签订日期，档案资料不规范。",
        area=townships[LINQUAN],
        measures="逐户补签并注明签订日期，重新整理一户一档。",
        deadline=today + days(10),
        responsible_unit="临泉镇人民政府",
        first_responsible="镇长",
        direct_responsible="分管副镇长",
    )
    submitted = item(
        problem_type=ProblemType.POLICY,
        title="危房改造补助资金拨付不及时",
        findings="白文镇部分改造户竣工验收后超过一个月未拨付补助资金。",
        area=townships[BAIWEN],
        measures="完善验收后拨付流程，竣工一批、验收一批、拨付一批。",
        deadline=today + days(15),
        responsible_unit="白文镇人民政府、县住建局",
    )
    item(
        problem_type=ProblemType.WORK,
        title="部分改造户一户一档缺少施工过程照片",
        findings="白文镇抽查的改造户档案中，改造中照片缺失。",
        area=townships[BAIWEN],
        measures="补拍、补录施工过程影像资料，完善档案。",
        deadline=today - days(5),  # past: an overdue alert
        responsible_unit="白文镇人民政府",
    )
    in_progress = item(
        problem_type=ProblemType.POLICY,
        title="C/D级危房鉴定后长期未实施改造",
        findings="城庄镇部分C级、D级危房鉴定后超过三个月仍未开工改造。",
        area=townships[CHENGZHUANG],
        measures="逐户制定改造计划，明确开工时间，按月调度进度。",
        deadline=today + days(40),
        responsible_unit="城庄镇人民政府",
    )
    item(
        problem_type=ProblemType.WORK,
        title="农村低收入群体住房安全动态监测机制有待完善",
        findings="部门数据比对不及时，新增对象住房安全鉴定存在滞后。",
        area=county,
        measures="按季度与民政、乡村振兴部门比对名单，新增对象5个工作日内完成鉴定。",
        deadline_kind=DeadlineKind.LONG_TERM,
        stages=[
            {"goal": "建立部门名单季度比对机制", "due_on": today + days(30)},
            {"goal": "完成全年动态监测总结", "due_on": today + days(120)},
        ],
        responsible_unit="县住房和城乡建设局",
    )

    # The township works it off with evidence; the county verifies (not who submitted).
    act(
        services.note_add,
        item=closed,
        by=staff[LINQUAN],
        content="已逐户补签承诺书并注明签订日期，相关档案已重新归档。",
        files=[pdf("evidence", "Signed commitment letters, re-filed")],
    )
    act(services.item_submit, item=closed, by=staff[LINQUAN], note="已全部整改到位。")
    act(
        services.item_close,
        item=closed,
        by=reviewer,
        note="经抽查核验，承诺书均已注明签订日期，同意销号。",
    )
    act(
        services.note_add,
        item=submitted,
        by=staff[BAIWEN],
        content="已通报财政所，对已验收农户建立拨付台账，按月跟踪拨付进度。",
        files=[pdf("evidence", "Payout ledger of accepted households")],
    )
    act(services.item_submit, item=submitted, by=staff[BAIWEN])
    act(
        services.note_add,
        item=in_progress,
        by=staff[CHENGZHUANG],
        content="已对未开工农户逐户入户，制定改造计划，2户已完成村级评议。",
    )
    return Counter(
        RectificationItem.objects.filter(campaign=campaign).values_list("status", flat=True)
    )
