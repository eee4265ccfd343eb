/* placeholder */
typedef int ms_placeholder_t;
