"""Staff accounts in the Django admin: deactivating one ends their open logins at once."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User

from clinic.services import staff_deactivate

admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    actions = ["deactivate_selected"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and not obj.is_active:
            staff_deactivate(request=request, actor=request.user, user=obj)

    @admin.action(
        description="Deactivate selected staff and end their logins",
        permissions=["change"],
    )
    def deactivate_selected(self, request, queryset):
        count = 0
        for user in queryset.exclude(pk=request.user.pk):
            staff_deactivate(request=request, actor=request.user, user=user)
            count += 1
        if queryset.filter(pk=request.user.pk).exists():
            messages.warning(request, "You cannot deactivate your own account.")
        self.message_user(request, f"{count} staff account(s) deactivated; their logins ended.")
