/* placeholder while the module is written */
#include "cv_error.h"
