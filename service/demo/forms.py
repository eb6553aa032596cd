"""What the demo officers type into each task's form (forms/dossier_*.schema.json), by the plan."""

from __future__ import annotations

from datetime import date, datetime

from .mix import Plan

MISSING = ["Bản chụp giấy tờ chứng minh nơi cư trú"]
OPINION = "Hồ sơ đã được thẩm định theo quy định."


def variables(
    plan: Plan,
    element_id: str,
    *,
    round_: int,
    moment: datetime,
    specialist: str,
    agency: str,
    applicant: str,
    new_due: date | None,
) -> dict:
    """The form's fields for step `element_id` (round_: the appraisal rounds already done;
    moment: local; new_due: the apology's new return date)."""
    day = moment.date().isoformat()
    number = f"{plan.index + 1}"
    if element_id == "receive":
        if plan.reception == "guide":
            return {
                "reception_decision": "guide",
                "missing_items": MISSING,
                "guidance": "Bổ sung giấy tờ còn thiếu.",
            }
        if plan.reception == "refuse":
            return {"reception_decision": "refuse", "refusal_reason": "Không thuộc thẩm quyền giải quyết."}
        return {"reception_decision": "accept"}
    if element_id == "appraise":
        decision = plan.rounds[min(round_, len(plan.rounds) - 1)]
        fields = {"appraisal_decision": decision, "appraisal_opinion": OPINION}
        if decision == "request_supplement":
            fields.update(missing_items=MISSING, supplement_reason="Thiếu giấy tờ chứng minh nơi cư trú.")
        elif decision == "consult":
            fields.update(agencies=[agency], consultation_content="Đề nghị cho ý kiến về hồ sơ.")
        elif decision == "propose_refuse":
            fields["proposed_refusal_reason"] = "Không đủ điều kiện theo quy định."
        elif decision == "propose_stop":
            fields["proposed_stop_reason"] = "Hồ sơ có dấu hiệu giả mạo, chuyển cơ quan chức năng."
        return fields
    if element_id == "approve":
        fields = {"approval_decision": plan.decision}
        if plan.decision == "refuse":
            fields["refusal_reason"] = "Không đủ điều kiện theo quy định."
        elif plan.decision == "stop":
            fields["stop_reason"] = "Dừng giải quyết theo đề nghị của chuyên viên."
        return fields
    fixed = {
        "digitise": {"all_components_digitised": True},
        "assign": {"specialist": specialist},
        "consult": {"position": "agree", "content": "Thống nhất với đề xuất."},
        "await_supplement": {"supplement_received": True},
        "issue_result": {"result_number": f"{number}/KQ", "issued_on": day},
        "issue_refusal": {"letter_number": f"{number}/TB-TC", "issued_on": day},
        "issue_stop_notice": {"notice_number": f"{number}/TB-DGQ", "issued_on": day},
        "return_result": {"method": plan.channel},
        "hand_back": {"handed_back": True, "recipient": applicant},
        "apology": {
            "new_due_date": (new_due or moment.date()).isoformat(),
            "reason": "Hồ sơ cần thêm thời gian thẩm định.",
        },
    }
    return fixed[element_id]
