def run_ai4i(args, console):
    raise NotImplementedError
