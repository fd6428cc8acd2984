from unfold.admin import ModelAdmin


class CustomerUserAdmin(ModelAdmin):
    list_display = ["login", "first_name", "last_name", "email", "customer", "valid"]
    list_filter = ["valid", "data_source"]
    list_select_related = ["customer"]
    search_fields = ["login", "first_name", "last_name", "email", "customer__customer_id"]
    autocomplete_fields = ["customer"]
