// The one translation unit that compiles Asio and Beast (separate compilation): every other file only
// includes their headers, which keeps each module's compile time and object size down.
#include <boost/asio/impl/src.hpp>
#include <boost/beast/src.hpp>
