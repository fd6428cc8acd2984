"""Helpers for the import tests: real files, written as the programs that make them write them."""

import csv
import io

from otrs_customer_admin.importexport.formats import format_for
from otrs_customer_admin.importexport.importers import CustomerImport, CustomerUserImport


def excel_csv(rows, delimiter=";"):
    """CSV as Excel saves "CSV UTF-8": BOM, semicolons (German locale), CRLF."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8")


def plain_csv(rows):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def dataset(data, name="file.csv"):
    return format_for(name).create_dataset(data)


def import_customers(data, name="file.csv", dry_run=False, **options):
    return CustomerImport(**options).run(dataset(data, name), dry_run=dry_run)


def import_customer_users(data, name="file.csv", dry_run=False, **options):
    return CustomerUserImport(**options).run(dataset(data, name), dry_run=dry_run)


def problems(report):
    return [str(problem) for problem in report.problems]
