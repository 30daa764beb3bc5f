build/native/obj/vmm/json_util.o: vmm/json_util.c vmm/json_util.h \
 vmm/compiler.h
vmm/json_util.h:
vmm/compiler.h:
