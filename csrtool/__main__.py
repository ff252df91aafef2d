from csrtool.cli import main

main()
