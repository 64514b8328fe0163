module github.com/fasync-go/fasync

go 1.26.8

require (
	bazil.org/fuse v0.0.0-20230120002735-62a210ff1fd5 // indirect
	golang.org/x/sys v0.49.0 // indirect
)
