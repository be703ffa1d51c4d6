// The module's code lands here.
