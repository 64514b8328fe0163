// Package speccheck holds one test: every behaviour ID in docs/SPEC.md is
// cited by at least one test of the project, so the SPEC and the tests
// cannot drift apart silently.
package speccheck
