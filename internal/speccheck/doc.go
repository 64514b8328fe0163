// Package speccheck holds the tests that keep the documents and the tests
// together: every behaviour ID in docs/SPEC.md is cited by at least one
// test of the project, and every Go block of README.md is code that runs
// as an example test, so neither can drift apart silently.
package speccheck
