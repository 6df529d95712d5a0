# nothing but comments

// really nothing
/* at all */
