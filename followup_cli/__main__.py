from followup_cli.launch import main

main()
