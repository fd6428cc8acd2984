from unfold.admin import ModelAdmin


class TicketAdmin(ModelAdmin):
    list_display = ["number", "title", "customer", "customer_user", "state", "priority", "escalation_at"]
    list_filter = ["state", "priority"]
    list_select_related = ["customer", "customer_user"]
    search_fields = ["number", "title", "customer__customer_id", "customer__name"]
    autocomplete_fields = ["customer", "customer_user"]
    readonly_fields = ["closed_at", "escalation_at", "escalation_deadline"]


class SLAAdmin(ModelAdmin):
    list_display = ["name", "first_response_time", "update_time", "solution_time", "valid"]
    list_filter = ["valid"]
    search_fields = ["name"]
