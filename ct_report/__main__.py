from ct_report.cli import main

main()
