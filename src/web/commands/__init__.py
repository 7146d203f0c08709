"""`wolfit migrate`, `wolfit create-admin` and `wolfit seed`: one module each, `main(argv)`."""
