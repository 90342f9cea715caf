/* libpq, PostgreSQL's client library (libpq-dev): the PostgreSQL store's only way to its server. */
#include <postgresql/libpq-fe.h>
