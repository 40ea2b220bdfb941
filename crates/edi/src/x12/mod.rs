//! ANSI ASC X12 004010 and 005010: 850, 860, 855, 856, 861 and 997, mapped
//! to and from the canonical documents. (Being built.)
