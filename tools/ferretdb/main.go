// Command ferretdb serves FerretDB, a MongoDB wire-protocol server, for the platform's tests and
// local runs: `commonplace mongo` builds it with the Go toolchain and runs it.
//
// It embeds FerretDB's own package rather than building its command, whose version check needs
// files only FerretDB's release build writes.
package main

import (
	"context"
	"flag"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "host:port to serve on")
	sqlite := flag.String("sqlite", "", "SQLite directory URI (file:var/mongo/); the sqlite backend")
	postgres := flag.String("postgresql", "", "PostgreSQL URL; the postgresql backend instead of sqlite")
	level := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	config := &ferretdb.Config{Listener: ferretdb.ListenerConfig{TCP: *listen}, Handler: "sqlite", SQLiteURL: *sqlite}
	if *postgres != "" {
		config.Handler, config.PostgreSQLURL = "postgresql", *postgres
	}
	var logLevel slog.Level
	if err := logLevel.UnmarshalText([]byte(*level)); err != nil {
		log.Fatalf("bad -log-level: %s", err)
	}
	config.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel}))

	server, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log.Printf("serving the MongoDB wire protocol on %s (%s backend)", *listen, config.Handler)
	if err := server.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
