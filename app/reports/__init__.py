"""Reports supervisors pull: verification progress per area, with the household lifecycle's counts, and
CSV and XLSX downloads."""
