"""Spreadsheets in and out: CSV (UTF-8 or GBK) and XLSX uploads read as rows; tables written as CSV/XLSX."""
