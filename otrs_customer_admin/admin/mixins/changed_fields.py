"""The change form saves only what its user changed (``forms.SavesChangedFields``)."""


class SaveChangedFieldsMixin:
    """A change writes the fields the form says its user changed; an addition saves the whole record.

    So an import or a sync that changed other fields while the form was open keeps its values.
    """

    def save_model(self, request, obj, form, change):
        if change and hasattr(form, "update_fields"):
            obj.save(update_fields=form.update_fields())
        else:
            super().save_model(request, obj, form, change)
