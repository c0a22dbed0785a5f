from seq2seq.export import main

main()
