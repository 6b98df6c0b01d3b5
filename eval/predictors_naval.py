def run_naval(args, console):
    raise NotImplementedError
