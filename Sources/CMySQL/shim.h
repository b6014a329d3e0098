#ifndef CMYSQL_SHIM_H
#define CMYSQL_SHIM_H
#include <stddef.h>
#include <mysql.h>

/// `mysql_library_init` is a macro in MariaDB Connector/C; Swift cannot call macros.
static inline int cmysql_library_init(void) { return mysql_library_init(0, NULL, NULL); }

/// Sets a boolean option; MariaDB's `my_bool` is `char`, MySQL 8's is `bool`: the difference stays here.
static inline int cmysql_set_bool_option(MYSQL *mysql, enum mysql_option option, int value) {
    my_bool flag = value ? 1 : 0;
    return mysql_options(mysql, option, &flag);
}

/// Sets an unsigned int option (timeouts).
static inline int cmysql_set_uint_option(MYSQL *mysql, enum mysql_option option, unsigned int value) {
    return mysql_options(mysql, option, &value);
}

/// Asks a statement to report the longest value of each column after `mysql_stmt_store_result`.
static inline int cmysql_stmt_update_max_length(MYSQL_STMT *statement) {
    my_bool flag = 1;
    return mysql_stmt_attr_set(statement, STMT_ATTR_UPDATE_MAX_LENGTH, &flag);
}
#endif
