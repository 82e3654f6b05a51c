from django.urls import path

from payments.views import account, cashier, online, receipts, review

app_name = "payments"

urlpatterns = [
    path("register/", account.register, name="register"),
    path("connections/add/", account.connection_add, name="connection_add"),
    path("connections/<str:number>/remove/", account.connection_remove, name="connection_remove"),
    path("one-time-code/", account.one_time_code, name="one_time_code"),
    path("my-bills/", account.my_bills, name="my_bills"),
    path("pay/", online.pay, name="pay"),
    path("orders/<str:order_id>/", online.order_detail, name="order"),
    path("orders/<str:order_id>/status.json", online.order_status, name="order_status"),
    path("midtrans/notification/", online.notification, name="midtrans_notification"),
    path("review/", review.review_list, name="review"),
    path("review/<int:pk>/resolve/", review.review_resolve, name="review_resolve"),
    path("credit/<str:number>/refund/", review.credit_refund, name="credit_refund"),
    path("desk/", cashier.desk, name="desk"),
    path("desk/<str:number>/pay/", cashier.desk_pay, name="desk_pay"),
    path("shift/", cashier.shift_current, name="shift"),
    path("shift/open/", cashier.shift_open, name="shift_open"),
    path("shift/close/", cashier.shift_close, name="shift_close"),
    path("shifts/", cashier.shifts_day, name="shifts_day"),
    path("shifts/<int:pk>/", cashier.shift_report, name="shift_report"),
    path("receipts/<str:receipt_number>/", receipts.receipt, name="receipt"),
    path("receipts/<str:receipt_number>.pdf", receipts.receipt_pdf, name="receipt_pdf"),
    path("receipts/<str:receipt_number>/reprint/", receipts.receipt_reprint, name="receipt_reprint"),
    path("receipts/<str:receipt_number>/void/", cashier.payment_void, name="payment_void"),
]
