"""A syncing source of a site's own: the example of docs/data-sources.md ("Writing a source of your
own"), where it is myapp/sources.py; that block must stay a verbatim part of this file."""

# myapp/sources.py
import csv

from otrs_customer_admin.datasources import DataSource, DirectoryEntry, DirectoryRead, SyncError


class PeopleFileSource(DataSource):
    """The customer users of a CSV file (columns id, user, mail, company) that another system writes."""

    read_only = True
    can_sync = True
    default_label = "People file"

    def searched_models(self):
        return ["customer_user"]

    def attr_map(self, model_key):
        # Our field -> the file's column.
        return {"login": "user", "email": "mail", "customer": "company"}

    def read(self, progress=None):
        try:
            with open(self.option("PATH"), encoding="utf-8", newline="") as file:
                rows = list(csv.DictReader(file))
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise SyncError(f"{self.label}: {error}") from error
        people = []
        for row in rows:
            values = {name: row[column] for name, column in self.attr_map("customer_user").items() if row.get(column)}
            dn = f"user={row.get('user', '')}"
            people.append(
                DirectoryEntry(
                    dn=dn, normalized_dn=self.normalized_dn(dn), external_id=row.get("id", ""), values=values
                )
            )
        return DirectoryRead(customer_users=people)
