"""The business card: a small page with a record's essentials, shown on hover in lists."""

from django.urls import path

from .pages import RecordPageMixin


class BusinessCardMixin(RecordPageMixin):
    def get_urls(self):
        card = path("<path:object_id>/card/", self.admin_site.admin_view(self.card_view), name=self.url_name("card"))
        return [card, *super().get_urls()]

    def get_card_queryset(self, request):
        """The records the card shows, with what it shows of them (annotations, joins)."""
        return self.get_queryset(request)

    def card_view(self, request, object_id):
        obj = self.get_viewable_object(request, object_id, self.get_card_queryset(request))
        # A fragment fetched by cards.js: no menu, and none of each_context's queries.
        return self.render_page(request, self.page_templates("card"), {"object": obj}, admin_chrome=False)
