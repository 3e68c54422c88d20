from berth_cli.main import main

raise SystemExit(main())
