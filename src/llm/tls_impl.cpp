// Asio's SSL implementation, compiled once (BOOST_ASIO_SEPARATE_COMPILATION is on for every target linking
// netra_boost_net). If another module ever needs TLS too, move this include into src/net/boost_impl.cpp.
#include <boost/asio/ssl/impl/src.hpp>
