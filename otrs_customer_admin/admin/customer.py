from unfold.admin import ModelAdmin


class CustomerAdmin(ModelAdmin):
    list_display = ["customer_id", "name", "city", "country", "valid", "data_source"]
    list_filter = ["valid", "data_source"]
    search_fields = ["customer_id", "name", "city"]
    ordering = ["name"]
