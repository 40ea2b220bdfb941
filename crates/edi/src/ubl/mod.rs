//! UBL 2.1 in the Peppol BIS ordering profile: Order, OrderChange,
//! OrderCancellation, OrderResponse, DespatchAdvice, ReceiptAdvice and the
//! application response, mapped to and from the canonical documents. (Being built.)
