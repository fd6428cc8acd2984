"""Data-source classes the tests configure by dotted path."""

from otrs_customer_admin.datasources import DataSource


class DirectorySource(DataSource):
    """A read-only source, as a directory would be."""

    read_only = True
    default_label = "Company directory"


class NeedsMissingModule(DataSource):
    read_only = True
    required_modules = ("otrs_customer_admin_no_such_module",)
    install_hint = "pip install otrs-customer-admin[ldap]"


class NotADataSource:
    pass


class MappedDirectorySource(DirectorySource):
    """A read-only source whose attribute maps (options ``CUSTOMER_ATTR_MAP`` and
    ``CUSTOMER_USER_ATTR_MAP``) may name dynamic fields."""

    def attr_map(self, model_key):
        key = "CUSTOMER_ATTR_MAP" if model_key == "customer" else "CUSTOMER_USER_ATTR_MAP"
        return dict(self.option(key) or {})
