"""The business card: a small page with a record's essentials, shown on hover in lists."""

from django.urls import path

from .pages import RecordPageMixin


class BusinessCardMixin(RecordPageMixin):
    card_template = None

    def get_urls(self):
        card = path("<path:object_id>/card/", self.admin_site.admin_view(self.card_view), name=self.url_name("card"))
        return [card, *super().get_urls()]

    def card_view(self, request, object_id):
        obj = self.get_viewable_object(request, object_id)
        # A fragment fetched by cards.js: no menu, and none of each_context's queries.
        return self.render_page(request, self.card_template, {"object": obj}, admin_chrome=False)
