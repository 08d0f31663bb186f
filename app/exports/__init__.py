"""Raw data exports (原始数据导出): visits with one column per question, checks and review decisions as CSV
or XLSX, and a ZIP of photos and signatures with a manifest; streamed, or run as jobs when large."""
