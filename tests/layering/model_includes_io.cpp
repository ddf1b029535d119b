#include "io/fits_file.hpp"  // model must not read or write files: expected to fail
