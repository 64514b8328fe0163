// Package cli holds what the subcommands of cmd/fasync parse the same
// way: their flag sets with help and argument counts (FlagSet, SPEC U1),
// and byte sizes (ParseSize, FormatSize and the flag.Value Size, SPEC
// U2), so every size flag takes the same suffixes and states its limits.
package cli
