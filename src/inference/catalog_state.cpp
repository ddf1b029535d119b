#include "inference/catalog_state.hpp"

#include <algorithm>

namespace celeste::inference {

void LocalCatalogState::get_start(const std::vector<int>& sources, std::vector<Params>& params) {
  for (int s : sources) params[s] = start_[s];
}

void LocalCatalogState::get_current(const std::vector<int>& sources, std::vector<Params>& params,
                                    std::vector<survey::SourceResult>& records) {
  for (int s : sources) {
    params[s] = current_[s];
    records[s] = records_[s];
  }
}

void LocalCatalogState::put_current(const std::vector<int>& sources,
                                    const std::vector<Params>& params,
                                    const std::vector<survey::SourceResult>& records) {
  for (int s : sources) {
    current_[s] = params[s];
    records_[s] = records[s];
  }
}

void pack_source_state(const Params& params, const survey::SourceResult& r, double* out) {
  out = std::copy(params.begin(), params.end(), out);
  *out++ = r.status_code;
  *out++ = r.iterations;
  *out++ = r.failure_flags;
  *out++ = r.warning_flags;
  *out++ = r.elbo;
  *out++ = r.elbo_gain;
  *out++ = r.grad_norm;
  std::copy(r.lr_sd.begin(), r.lr_sd.end(), out);
}

void unpack_source_state(const double* in, Params& params, survey::SourceResult& r) {
  std::copy(in, in + kNumParams, params.begin());
  in += kNumParams;
  r.status_code = static_cast<int>(*in++);
  r.iterations = static_cast<int>(*in++);
  r.failure_flags = static_cast<int>(*in++);
  r.warning_flags = static_cast<int>(*in++);
  r.elbo = *in++;
  r.elbo_gain = *in++;
  r.grad_norm = *in++;
  std::copy(in, in + kNumParams, r.lr_sd.begin());
}

}  // namespace celeste::inference
