"""The member web app: server-rendered pages of the platform for people, in their browser.

A client of the platform's public HTTP API (a backend for the frontend): each request calls the
gateway with the signed-in person's own platform token, kept in a server-side session (the
browser holds only the session's id). It holds no privilege of its own; every rule stays in the
services. Pages and forms work without JavaScript; htmx, where present, swaps fragments the
server also renders as whole pages.
"""
