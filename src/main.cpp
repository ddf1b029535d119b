// celeste: command-line entry point. All work happens in app/ (subcommand dispatch).
#include "app/cli.hpp"

int main(int argc, char** argv) { return celeste::app::main(argc, argv); }
