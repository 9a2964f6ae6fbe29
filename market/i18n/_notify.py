"""Inbox notifications: `notify.<key>.title` and, where the message has one, `notify.<key>.body`.

A notification is stored as its key and parameters (`market/notify.py`) and rendered here in the reader's
language. `notify.legacy.*` shows the text stored before notifications were keyed.
"""

from __future__ import annotations

ZH_CN: dict[str, str] = {
    "notify.list_separator": "、",
    "notify.legacy.title": "{title}",
    "notify.legacy.body": "{body}",
    # Tasks
    "notify.task_posted.title": "新榜单：{task}",
    "notify.task_posted.body": "揭榜截止：{deadline}（北京时间）",
    "notify.task_cancelled.title": "榜单已取消：{task}",
    "notify.task_cancelled.body": "取消原因：{reason}",
    "notify.task_amended.title": "榜单条款变更，意向书已退回草稿：{task}",
    "notify.task_amended.body": "变更原因：{reason}",
    "notify.task_reviewing.title": "揭榜截止，进入评审：{task}",
    "notify.question.title": "榜单答疑有新提问：{task}",
    "notify.answer.title": "您的提问已答复：{task}",
    # Needs
    "notify.need_raised.title": "新需求：{need}",
    "notify.need_declined.title": "需求未被采纳：{need}",
    "notify.need_declined.body": "原因：{reason}",
    # Proposals and the panel
    "notify.invitation.title": "联合揭榜邀请：{task}",
    "notify.invitation_answer.accepted.title": "合作方接受了联合揭榜邀请：{task}",
    "notify.invitation_answer.declined.title": "合作方婉拒了联合揭榜邀请：{task}",
    "notify.proposal_withdrawn.title": "联合意向书已撤回：{task}",
    "notify.qualification.passed.title": "资格审查结果：合格（{task}）",
    "notify.qualification.failed.title": "资格审查结果：不合格（{task}）",
    "notify.qualification.failed.body": "原因：{reason}",
    "notify.panel_seat.added.title": "您已受邀担任评审：{task}",
    "notify.panel_seat.removed.title": "您已不再担任评审：{task}",
    "notify.scoring_complete.title": "评审组已完成评分：{task}",
    # Awards and objections
    "notify.award.notice.title": "拟承榜公示：{task}",
    "notify.award.notice.body": "公示期至 {ends}（北京时间）。",
    "notify.award.notice_others.title": "榜单已选定拟承榜单位，进入公示：{task}",
    "notify.award.notice_others.body": "公示期至 {ends}（北京时间），如有异议可在公示期内提出。",
    "notify.award.confirmed.title": "公示期满，确定承榜，项目启动：{task}",
    "notify.award.confirmed_others.title": "公示期满，本榜单已确定承榜单位：{task}",
    "notify.award.confirmed_others.body": "感谢参与揭榜。",
    "notify.objection.lodged.title": "承榜公示收到异议：{task}",
    "notify.objection.lodged_winner.title": "您的承榜公示收到异议，待综合党委处理：{task}",
    "notify.objection.upheld.title": "您提出的异议已成立：{task}",
    "notify.objection.upheld.body": "处理意见：{resolution}",
    "notify.objection.dismissed.title": "您提出的异议已处理：{task}",
    "notify.objection.dismissed.body": "处理意见：{resolution}",
    "notify.objection.dismissed_winner.title": "针对您承榜公示的异议已驳回：{task}",
    "notify.award_revoked.winner.title": "异议成立，承榜已撤销：{task}",
    "notify.award_revoked.winner.body": "处理意见：{resolution}",
    "notify.award_revoked.committee.title": "承榜已撤销，榜单回到评审：{task}",
    # Projects and night classes
    "notify.project_delivered.title": "项目已交付，待结项评价：{project}",
    "notify.evaluation.title": "项目结项评价：{project} {score} 分（{grade}）",
    "notify.evaluation.body": "评价意见：{comment}",
    "notify.up_review.project_due.title": "请点评发榜单位和评审委员会的工作：{project}",
    "notify.up_review.project_due.body": "点评对被点评方匿名，每个单位每年满三条后只公布汇总。",
    "notify.up_review.order_due.title": "请点评评审委员会的服务：{service}",
    "notify.up_review.order_due.body": "点评对被点评方匿名，每年满三条后只公布汇总。",
    "notify.up_review.order_due_provider.title": "请点评社区的配合：{service}",
    "notify.up_review.order_due_provider.body": "点评对被点评方匿名，每个社区每年满三条后只公布汇总。",
    "notify.waitlist_promoted.title": "候补转为正式报名：{topic}（{starts}）",
    "notify.waitlist_promoted.body": "{people} 已从候补转为正式报名。",
    "notify.waitlist_promoted.many.title": "候补转为正式报名：{topic}（{starts}）",
    "notify.waitlist_promoted.many.body": "{people} 等 {count} 人已从候补转为正式报名。",
    # Service orders and ordering meetings
    "notify.order_placed.title": "新的点单：{service}",
    "notify.order_accepted.title": "点单已接受：{service}",
    "notify.order_declined.title": "点单未被接受：{service}",
    "notify.order_declined.body": "原因：{reason}",
    "notify.order_cancelled.title": "点单已撤销：{service}",
    "notify.order_delivered.title": "服务已确认送达：{service}",
    "notify.order_rated.title": "服务获评 {rating} 星：{service}",
    "notify.meeting_scheduled.title": "社区书记点单会：{meeting}",
    "notify.meeting_scheduled.body": "时间：{starts}（北京时间）；地点：{place}",
}

EN: dict[str, str] = {
    "notify.list_separator": ", ",
    "notify.legacy.title": "{title}",
    "notify.legacy.body": "{body}",
    # Tasks
    "notify.task_posted.title": "New task: {task}",
    "notify.task_posted.body": "Claims close {deadline} (Beijing time)",
    "notify.task_cancelled.title": "Task cancelled: {task}",
    "notify.task_cancelled.body": "Reason: {reason}",
    "notify.task_amended.title": "Task terms changed, your proposal is back in draft: {task}",
    "notify.task_amended.body": "Reason for the change: {reason}",
    "notify.task_reviewing.title": "Claims closed, review begins: {task}",
    "notify.question.title": "New question on a task: {task}",
    "notify.answer.title": "Your question was answered: {task}",
    # Needs
    "notify.need_raised.title": "New need: {need}",
    "notify.need_declined.title": "Need declined: {need}",
    "notify.need_declined.body": "Reason: {reason}",
    # Proposals and the panel
    "notify.invitation.title": "Invitation to a joint claim: {task}",
    "notify.invitation_answer.accepted.title": "A partner accepted your joint-claim invitation: {task}",
    "notify.invitation_answer.declined.title": "A partner declined your joint-claim invitation: {task}",
    "notify.proposal_withdrawn.title": "Joint proposal withdrawn: {task}",
    "notify.qualification.passed.title": "Qualification check: qualified ({task})",
    "notify.qualification.failed.title": "Qualification check: disqualified ({task})",
    "notify.qualification.failed.body": "Reason: {reason}",
    "notify.panel_seat.added.title": "You are on the review panel: {task}",
    "notify.panel_seat.removed.title": "You are no longer on the review panel: {task}",
    "notify.scoring_complete.title": "The panel has finished scoring: {task}",
    # Awards and objections
    "notify.award.notice.title": "Proposed award under public notice: {task}",
    "notify.award.notice.body": "The notice period ends {ends} (Beijing time).",
    "notify.award.notice_others.title": "An award has been proposed and is under public notice: {task}",
    "notify.award.notice_others.body": "Objections may be lodged until the notice period ends {ends} (Beijing time).",
    "notify.award.confirmed.title": "Notice period over: award confirmed, the project starts: {task}",
    "notify.award.confirmed_others.title": "Notice period over: this task has been awarded: {task}",
    "notify.award.confirmed_others.body": "Thank you for your proposal.",
    "notify.objection.lodged.title": "Objection lodged against an award: {task}",
    "notify.objection.lodged_winner.title": "Your award has an objection; the committee will rule on it: {task}",
    "notify.objection.upheld.title": "Your objection was upheld: {task}",
    "notify.objection.upheld.body": "Ruling: {resolution}",
    "notify.objection.dismissed.title": "Your objection was ruled on: {task}",
    "notify.objection.dismissed.body": "Ruling: {resolution}",
    "notify.objection.dismissed_winner.title": "The objection against your award was dismissed: {task}",
    "notify.award_revoked.winner.title": "Objection upheld, award revoked: {task}",
    "notify.award_revoked.winner.body": "Ruling: {resolution}",
    "notify.award_revoked.committee.title": "Award revoked, the task is back in review: {task}",
    # Projects and night classes
    "notify.project_delivered.title": "Project delivered, awaiting final evaluation: {project}",
    "notify.evaluation.title": "Final evaluation: {project}, {score} points ({grade})",
    "notify.evaluation.body": "Comment: {comment}",
    "notify.up_review.project_due.title": "Please rate the posting unit and the committee: {project}",
    "notify.up_review.project_due.body": (
        "Ratings are anonymous to the units rated: only a unit's yearly summary is published, once it has three."
    ),
    "notify.up_review.order_due.title": "Please rate the committee's service: {service}",
    "notify.up_review.order_due.body": (
        "Ratings are anonymous to the committee: only a yearly summary is published, once it has three."
    ),
    "notify.up_review.order_due_provider.title": "Please rate the community's cooperation: {service}",
    "notify.up_review.order_due_provider.body": (
        "Ratings are anonymous to the community: only its yearly summary is published, once it has three."
    ),
    "notify.waitlist_promoted.title": "Waitlist promoted to confirmed: {topic} ({starts})",
    "notify.waitlist_promoted.body": "{people} moved from the waitlist to a confirmed seat.",
    "notify.waitlist_promoted.many.title": "Waitlist promoted to confirmed: {topic} ({starts})",
    "notify.waitlist_promoted.many.body": "{people} and others, {count} people in all, moved to confirmed seats.",
    # Service orders and ordering meetings
    "notify.order_placed.title": "New order: {service}",
    "notify.order_accepted.title": "Order accepted: {service}",
    "notify.order_declined.title": "Order declined: {service}",
    "notify.order_declined.body": "Reason: {reason}",
    "notify.order_cancelled.title": "Order cancelled: {service}",
    "notify.order_delivered.title": "Service confirmed as delivered: {service}",
    "notify.order_rated.title": "Service rated {rating} stars: {service}",
    "notify.meeting_scheduled.title": "Ordering meeting for community secretaries: {meeting}",
    "notify.meeting_scheduled.body": "When: {starts} (Beijing time); where: {place}",
}
