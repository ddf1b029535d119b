#pragma once
// Initial variational parameters from a catalog entry (model.md §8.2): targets use only the
// catalog position ("generic"); fixed neighbours use the whole entry ("catalog").
#include "celeste/param_layout.hpp"
#include "model/elbo_problem.hpp"
#include "survey/catalog.hpp"

namespace celeste::model {

SourceParams generic_init_params(const survey::CatalogEntry& entry);
SourceParams catalog_init_params(const survey::CatalogEntry& entry);

}  // namespace celeste::model
