build/native/obj/vmm/qmp_error.o: vmm/qmp_error.c vmm/qmp_error.h \
 vmm/compiler.h
vmm/qmp_error.h:
vmm/compiler.h:
