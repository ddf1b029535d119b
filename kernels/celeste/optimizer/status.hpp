#pragma once
// Optimizer outcome codes shared by the per-source fit, its drivers and the output writers.
// CONTRACT: the numeric values of OptimizerStatus and of the failure-flag bits are written to
// the output catalog and relied on by other code; append new bits, never renumber.
#include <Kokkos_Core.hpp>

namespace celeste::optimizer {

// How a fit ended.
enum OptimizerStatus : int {
  converged = 0,       // one of the x / f / g tests of model.md §6.3 held (see converged_by)
  max_iterations = 1,  // iteration limit reached (not an error: y is the last accepted point)
  failed = 2,          // stopped abnormally (see failure_flags); y is still the last accepted
                       // finite point, i.e. the initial y when nothing was accepted
  not_fitted = 3,      // the caller did not run the optimizer for this source
};

// Which convergence tests held at the accepted step that stopped the iteration (bitmask:
// several may hold at once, exactly like Optim's x_converged / f_converged / g_converged).
enum ConvergedBy : unsigned {
  converged_by_none = 0u,
  converged_by_x = 1u << 0,  // max_i |y_i - y_prev,i| < x_tol
  converged_by_f = 1u << 1,  // |f - f_prev| < max(f_tol (|f| + f_tol), ulp(|f| + |f_prev|))
  converged_by_g = 1u << 2,  // ||g||_inf < g_tol
};

// failure_flags bits. A namespace of constants rather than an unscoped enum so that
// failure_flag::max_iterations does not collide with OptimizerStatus::max_iterations.
namespace failure_flag {
inline constexpr unsigned nonfinite_objective = 1u << 0;  // f or g not finite at the start
inline constexpr unsigned nonfinite_trial = 1u << 1;      // a trial point gave NaN/Inf (it was
                                                          // rejected; informational)
inline constexpr unsigned no_active_pixels = 1u << 2;     // set by the caller
inline constexpr unsigned eigensolver_failed = 1u << 3;   // Jacobi did not converge
inline constexpr unsigned radius_collapsed = 1u << 4;     // trust radius fell below delta_min
                                                          // after a rejection
inline constexpr unsigned at_bound = 1u << 5;             // set by the caller: a parameter at
                                                          // its box bound (box_at_bound)
inline constexpr unsigned max_iterations = 1u << 6;       // iteration limit reached
inline constexpr unsigned nonfinite_hessian = 1u << 7;    // H not finite (at the start: fatal;
                                                          // at a trial: that trial rejected)

// Every bit with its name and meaning, in bit order: the names used in the run report and
// the catalog's header keywords and docs.
struct NamedFlag {
  unsigned bit;
  const char* name;
  const char* meaning;
};
inline constexpr NamedFlag kNamed[] = {
    {nonfinite_objective, "nonfinite_objective", "objective not finite at the start"},
    {nonfinite_trial, "nonfinite_trial", "a trial point was not finite (rejected)"},
    {no_active_pixels, "no_active_pixels", "no active pixel: not fitted"},
    {eigensolver_failed, "eigensolver_failed", "Hessian eigensolver did not converge"},
    {radius_collapsed, "radius_collapsed", "trust radius collapsed"},
    {at_bound, "at_bound", "catalog: never set here, see warning_flags"},
    {max_iterations, "max_iterations", "iteration limit reached"},
    {nonfinite_hessian, "nonfinite_hessian", "Hessian not finite"}};
}  // namespace failure_flag

// The catalog's name of an OptimizerStatus value.
inline const char* status_name(int status) {
  switch (status) {
    case converged: return "converged";
    case max_iterations: return "max_iterations";
    case failed: return "failed";
    case not_fitted: return "not_fitted";
    default: return "unknown";
  }
}

// Outcome of one minimization. Plain data, usable in Kokkos Views.
struct OptimizerResult {
  int status = not_fitted;           // OptimizerStatus
  unsigned converged_by = converged_by_none;  // ConvergedBy bits
  unsigned failure_flags = 0u;       // failure_flag bits
  int iterations = 0;                // subproblem solves (accepted + rejected steps)
  int evaluations = 0;               // objective calls (value + gradient + Hessian each)
  double f_initial = 0.0;            // objective at the initial y
  double f_final = 0.0;              // objective at the returned y (last accepted point)
  double gradient_norm_inf = 0.0;    // ||g||_inf at the returned y
  double trust_radius = 0.0;         // radius when the iteration stopped
};

}  // namespace celeste::optimizer
