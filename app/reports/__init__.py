"""Reports supervisors pull: verification progress per area, with CSV and XLSX downloads."""
