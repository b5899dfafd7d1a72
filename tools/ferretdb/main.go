// Command ferretdb serves FerretDB, a MongoDB wire-protocol server, for the platform's tests and
// local runs: `commonplace mongo` builds it with the Go toolchain and runs it.
//
// It embeds FerretDB's own package rather than building its command, whose version check needs
// files only FerretDB's release build writes.
//
// FerretDB v1 applies an update as a read, then a write, with nothing held between them
// (handler.updateDocument, msg_findandmodify.go), so concurrent updates of one document are lost
// on both its backends, where MongoDB applies each to a document atomically. The platform relies
// on that atomicity (seat claims, counters, leases), so by default this program puts FerretDB
// behind a proxy that lets one write command at a time reach it: see writes.go.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "host:port to serve on")
	sqlite := flag.String("sqlite", "", "SQLite directory URI (file:var/mongo/); the sqlite backend")
	postgres := flag.String("postgresql", "", "PostgreSQL URL; the postgresql backend instead of sqlite")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	serialise := flag.Bool("serialise-writes", true,
		"let one write command at a time reach FerretDB, so that each update is atomic on its document")
	flag.Parse()

	var logLevel slog.Level
	if err := logLevel.UnmarshalText([]byte(*level)); err != nil {
		log.Fatalf("bad -log-level: %s", err)
	}
	config := &ferretdb.Config{Handler: "sqlite", SQLiteURL: *sqlite}
	if *postgres != "" {
		config.Handler, config.PostgreSQLURL = "postgresql", *postgres
	}
	config.Logger = slog.New(quietHandler{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel})})

	var front net.Listener
	if *serialise {
		dir, err := os.MkdirTemp("", "ferretdb")
		if err != nil {
			log.Fatal(err)
		}
		defer os.RemoveAll(dir)
		config.Listener.Unix = filepath.Join(dir, "ferretdb.sock")
		if front, err = net.Listen("tcp", *listen); err != nil {
			log.Fatal(err)
		}
	} else {
		config.Listener.TCP = *listen
	}

	server, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if front != nil {
		go serveOneWriteAtATime(ctx, front, config.Listener.Unix)
		log.Printf("serving the MongoDB wire protocol on %s (%s backend, one write at a time)", *listen, config.Handler)
	} else {
		log.Printf("serving the MongoDB wire protocol on %s (%s backend)", *listen, config.Handler)
	}
	if err := server.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
