"""The codes of the payment platform, the postal operator and the documents system, and what Motcua
calls them: the one place where their words meet Motcua's (docs/integrations.md).

None of the three publishes its API (the national payment platform's merchant API, VNPost's API and
each agency's document system are not public): the field names and codes below are Motcua's
assumption, kept here and in the connectors' contracts (integrations/contracts/) so that adapting to
the real systems is a change of this module and those files.

A callback (the payment platform's result, the postal operator's tracking) is a JSON object POSTed
to Motcua with `X-Motcua-Signature: sha256=<hex HMAC-SHA256 of the body with the shared secret>`
(the same signature as Motcua's own webhooks, integrations/webhooks.py).
"""

from __future__ import annotations

SIGNATURE_HEADER = "X-Motcua-Signature"

# --- payment ----------------------------------------------------------------------------------------
# The platform's `status` of a payment -> Motcua's state of it (payments.state).
PAYMENT_STATUSES = {
    "paid": "paid",  # the money is received: the receipt number and amount are recorded
    "refused": "refused",  # the bank or the payer refused; the payer may try again
    "expired": "expired",  # the request timed out unpaid; the payer may pay at the counter
}
PAYMENT_PURPOSES = {"fee": "fee_paid", "financial": "financial_paid"}  # purpose -> BPMN message
PAYMENT_LABELS = {"paid": "Đã thanh toán", "refused": "Bị từ chối", "expired": "Hết hạn"}
PAYMENT_CHANNELS = {"online": "Trực tuyến", "counter": "Tại Bộ phận Một cửa"}

# --- post ---------------------------------------------------------------------------------------------
# The postal operator's status of an item -> its label in Vietnamese (dossiers.shipment_status).
POST_STATUSES = {
    "booked": "Đã đặt chuyển phát",
    "picked_up": "Bưu chính đã nhận bưu gửi",
    "in_transit": "Đang vận chuyển",
    "delivered": "Đã phát thành công",
    "failed": "Phát không thành công",
    "returned": "Đã chuyển hoàn",
}

# --- documents system ---------------------------------------------------------------------------------
EDMS_NUMBER_FIELD = "document_number"  # the number the documents system gives the filed result
