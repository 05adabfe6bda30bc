"""The admin site: Vectis's name, no "View site" link (there is no public site), and the shift
dashboard as its index."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class VectisAdminSite(admin.AdminSite):
    site_header = "Vectis back-office"
    site_title = "Vectis"
    index_title = "Shift dashboard"
    site_url = None
    # The app list is on the dashboard; the sidebar copy of it took 270 px of a 1366 px screen
    # from the columns that matter (package status and tracking, receive links, ledger).
    enable_nav_sidebar = False
    index_template = "admin/vectis_index.html"

    def index(self, request, extra_context=None):
        from vectis.accounts.admin_scoping import member_account_ids
        from vectis.dashboard import shift_dashboard

        extra = {"dashboard": shift_dashboard(member_account_ids(request.user))}
        return super().index(request, {**extra, **(extra_context or {})})


class VectisAdminConfig(AdminConfig):
    default_site = "vectis.admin_site.VectisAdminSite"
