from customlabels.cli.main import main

main()
