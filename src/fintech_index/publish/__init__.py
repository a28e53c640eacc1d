"""Publishing an edition: Excel workbook, static report site, PDF white papers."""
